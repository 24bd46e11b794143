"""Jobs, schedules and sensors: how the pipeline runs itself month to month.

``jobs`` names the jobs, ``planning`` decides what a run has to do, ``sensors`` and
``schedules`` start runs; ``definitions`` declares them to Dagster.
"""
