# Entry points on a fresh machine (each does its own set-up in .venv):
#   make demo      install the app with its window ([gui]) and run the monitor on the bundled demo clip (the
#                  window, or headless), then its report
#   make test      install the app, every extra and the test tools, and run the tests but the slow end-to-end
#                  ones (a wheel in a fresh venv, make demo, soaks, a real Prometheus, batch, Ray, training)
#   make test-all  the same with the slow ones (what .ci/run runs)
# Installs take the versions pinned in constraints.txt (the set the tests passed with);
# `make test-latest` runs the suite on the newest releases instead (.venv-latest), to meet a breaking
# release before users do; `make constraints` re-pins from the current .venv after that passes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONSTRAINTS := constraints.txt

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.app: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e ".[gui]"
	touch $@

$(VENV)/.dev: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e ".[dev,train]"
	$(HEADLESS_OWNS_CV2)
	touch $@ $(VENV)/.app

# [mediapipe] installs opencv-contrib-python (MediaPipe requires it) beside the core's opencv-python-headless,
# both writing the one cv2 folder; the headless wheel rewritten last owns it (docs/install.md, "Two OpenCV wheels")
HEADLESS_OWNS_CV2 = $(BIN)/python -m pip install -q --force-reinstall --no-deps -c $(CONSTRAINTS) opencv-python-headless
PYTEST = QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

.PHONY: demo test test-all docs test-latest constraints bench clean
# One shell for the run and its report, Ctrl+C ignored by that shell (the monitor sets its own handler and
# stops cleanly): make stops on Ctrl+C before its next recipe line, which skipped the report.
demo: $(VENV)/.app   ## the demo clip in the window (headless without a display, 33 s), then its report
	@trap '' INT; \
	if $(BIN)/python -c "from emotion_monitor.gui.binding import check_display; check_display()" 2>/dev/null; then \
		echo "the window, on the demo clip (it loops; close the window or press Ctrl+C to stop and get the report)"; \
		rm -f demo.csv demo-stats.json; $(BIN)/emotion-monitor --gui --demo --record demo.csv; \
	else \
		echo "no display: the demo clip headless, 33 s (Ctrl+C stops it early)"; \
		$(BIN)/emotion-monitor --demo --realtime --record demo.csv --overwrite --stats-json demo-stats.json; \
	fi && trap - INT && echo "$(BIN)/emotion-monitor report demo.csv --out demo-report.html" && \
	$(BIN)/emotion-monitor report demo.csv --out demo-report.html && \
	echo "open demo-report.html in a browser: the mood, the emotions, the people seen"

test: $(VENV)/.dev   ## ruff, mypy, and the tests but the slow ones (pytest -m slow runs those alone)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(PYTEST) -m "not slow"

test-all: $(VENV)/.dev   ## ruff, mypy and every test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(PYTEST)

docs: $(VENV)/.dev   ## the API reference, from the docstrings, into docs/api/
	$(BIN)/python -m pdoc emotion_monitor emotion_monitor.api emotion_monitor.types emotion_monitor.settings \
		emotion_monitor.runner emotion_monitor.events emotion_monitor.recording emotion_monitor.errors -o docs/api

test-latest:
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install -q --upgrade pip
	.venv-latest/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e ".[dev,train]"
	.venv-latest/bin/python -m pip install -q --force-reinstall --no-deps "opencv-python-headless==$$(.venv-latest/bin/python -c 'import importlib.metadata as m; print(m.version("opencv-contrib-python"))')"
	.venv-latest/bin/python -m pip list --format=freeze | grep -iE "pyside6|shiboken6|pyqtgraph|numpy|opencv|litert|mediapipe"
	QT_QPA_PLATFORM=offscreen .venv-latest/bin/python -m pytest -q

constraints: $(VENV)/.dev
	{ echo "# Versions the test suite passed with (make test); make constraints rewrites this file."; \
	  $(BIN)/python -m pip list --format=freeze --exclude-editable | LC_ALL=C sort -f; } > $(CONSTRAINTS)

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/classifier.py
	$(BIN)/python benchmarks/detection.py

clean:
	rm -rf $(VENV) .venv-latest .pytest_cache
