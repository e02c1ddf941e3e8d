"""`python -m bot.services.measures [--strict] [--today YYYY-MM-DD] [data_dir]` — validate the measures data."""

from bot.services.measures.validate import main

raise SystemExit(main())
