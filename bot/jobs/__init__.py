"""Scheduler job modules (see bot/scheduler.py)."""
