"""Follow-up check-ins outside Rasa: when they fall due (schedule), how pain is going (trend), the
pain chart and its signed links (chart), the delivery worker (worker) and the summary for a physical
therapist (report).

`schedule` and `trend` are pure; `chart` imports matplotlib only when drawing; `worker` and `report`
read and write the store (bot/store/checkins.py). Nothing here imports Rasa.
"""
