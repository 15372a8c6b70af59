"""The scripted model turns of the UI tests and the benchmark, served by ``tests/standin.py``: a script answers the
runs whose first user message contains its ``match``."""

REVENUE = {"match": "Total revenue", "turns": [
    {"text": "Let me look at the columns first.", "code": "df.columns.tolist()"},
    {"text": "Now the revenue per product.",
     "code": "df['revenue'] = df.qty * df.price\ndf.groupby('product').revenue.sum()"},
    {"text": "And the total.", "code": "total = df.revenue.sum()\nprint(f'total: {total}')"},
    {"text": "**Total revenue: 9.0.** Product b leads with 5.0."},
]}

#: Step 2 sleeps for a minute: the panel's Stop ends it.
SLOW = {"match": "slow job", "turns": [
    {"text": "First a quick look at the size.", "code": "len(df)"},
    {"text": "Now the long computation; it takes a while.", "code": "import time\nfor _ in range(60):\n    time.sleep(1)"},
    {"text": "Never reached."},
]}

#: Fifty steps, each with a line of reasoning, a short code cell and its output: the insertion benchmark.
FIFTY = {"match": "fifty steps", "turns": [
    {"text": f"Step {i}: the next square.", "code": f"sq_{i} = {i} * {i}\nprint(sq_{i})"} for i in range(1, 51)
] + [{"text": "Done: fifty squares."}]}

SCRIPTS = [REVENUE, SLOW, FIFTY]
