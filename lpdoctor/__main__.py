from lpdoctor.cli import run

run()
