"""Streamlit dashboard for the ICT推進・活用計画2020 warehouse (entry point: app/streamlit_app.py)."""
