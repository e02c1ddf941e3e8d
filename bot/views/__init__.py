"""What people see: texts, keyboards, cards and the callback data of every button.

Used by handlers and background workers alike; no module here imports ``handlers``. One module per idea
(``bot/views/<feature>.py``); every CallbackData class lives in :mod:`bot.views.callbacks`.
"""
