from kpath.cli import run

run()
