"""Executes a notebook top to bottom with nbclient (a test: fails on any cell error).

Usage: python3 run_notebook.py NOTEBOOK.ipynb
Runs in a temporary directory, which also holds the kernel's runtime files and the
IPython/matplotlib caches: nothing is written next to the notebook or into $HOME.
"""
import os
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient


def main(path):
    notebook = nbformat.read(path, as_version=4)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        for variable, name in (("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                               ("MPLCONFIGDIR", "matplotlib")):
            os.environ[variable] = os.path.join(work, name)
        NotebookClient(notebook, timeout=240, kernel_name="python3",
                       resources={"metadata": {"path": work}}).execute()
    cells = sum(1 for c in notebook.cells if c.cell_type == "code")
    print(f"{path}: {cells} code cells ran in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1])
