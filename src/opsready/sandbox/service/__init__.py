"""The sandbox's orders service: the gunicorn-served api, its background worker, migrations and shipped releases."""
