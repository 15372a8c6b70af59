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

#: A secret-named variable of the server's (and so the kernels') environment, in no known key format.
SERVICE_TOKEN = "svc-N7qLw2Zx8RkP4mVtN7qLw2Zx8RkP4mVt"

#: Step 2 ignores SIGINT and spins, and prints a secret from the environment first: Stop must still end it, and
#: the secret must show masked.
STUBBORN = {"match": "stubborn job", "turns": [
    {"text": "A quick look first.", "code": "import os\nprint('token:', os.environ['SERVICE_TOKEN'])"},
    {"text": "Now a loop that ignores interrupts.",
     "code": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"},
    {"text": "Never reached."},
]}

#: Step 2 updates the display step 1 showed (``display_id``): the cell of step 1 shows the new value, as in a notebook.
DISPLAY_UPDATE = {"match": "progress display", "turns": [
    {"text": "A progress line first.", "code": "h = display('progress: 0%', display_id=True)"},
    {"text": "Now the work, which updates it.", "code": "h.update('progress: 100%')\nprint('work done')"},
    {"text": "The progress line says 100%."},
]}

#: An isolated run asked about before each step: its pid, then a file written in its sandbox.
CONTROLLED = {"match": "controlled job", "turns": [
    {"text": "Which process am I?", "code": "import os\nprint('sandbox pid', os.getpid())"},
    {"text": "Now write the summary.", "code": "df.groupby('product').qty.sum().to_csv('summary.csv')"},
    {"text": "**Wrote `summary.csv`** in the sandbox."},
]}

#: The model asks the user first (``ask_user``), then leaves its result in the ``-o`` variable ``shares``.
REACH_QUESTION = "Should the shares be of the quantity or of the revenue?"
REACH = {"match": "shares of the products", "turns": [
    {"text": "One thing to settle first.",
     "tool_uses": [{"name": "ask_user", "input": {"question": REACH_QUESTION}}]},
    {"text": "Shares of the quantity, then.",
     "code": "shares = {k: float(v) for k, v in (df.groupby('product').qty.sum() / df.qty.sum()).items()}\nshares"},
    {"text": "**`shares`** holds each product's share of the quantity: a 2/7, b 5/7."},
]}

#: One step that changes the user's list in place and writes a file: the panel's Undo puts both back.
UNDO = {"match": "Append 4 to nums", "turns": [
    {"text": "Append to the list, then write the file.",
     "code": "nums.append(4)\nopen('out.txt', 'w').write('x')\nprint(nums)"},
    {"text": "**Done:** `nums` ends with 4 and `out.txt` holds `x`."},
]}

SCRIPTS = [REVENUE, SLOW, FIFTY, STUBBORN, DISPLAY_UPDATE, CONTROLLED, REACH, UNDO]
