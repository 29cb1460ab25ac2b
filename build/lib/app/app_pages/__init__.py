"""Dashboard pages: each module exposes render() and only draws; logic lives in app/queries.py etc."""
