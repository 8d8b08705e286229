# Two entry points on a fresh machine (each does its own set-up in .venv):
#   make demo   install the app and run the monitor: the camera, or the bundled demo clip without one
#   make test   install the app, the test tools and the training extra, and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,train]"
	touch $@ $(VENV)/.app

.PHONY: demo test bench clean
demo: $(VENV)/.app
	@if $(BIN)/python -c "import cv2,sys; c=cv2.VideoCapture(0); sys.exit(0 if c.isOpened() else 1)" 2>/dev/null; then \
		$(BIN)/emotion-monitor --camera 0 --record session.csv; \
	else \
		echo "no camera found: playing the demo clip assets/demo.mp4"; \
		$(BIN)/emotion-monitor --demo --realtime --record demo.csv --stats-json demo-stats.json; \
	fi

test: $(VENV)/.dev
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/classifier.py
	$(BIN)/python benchmarks/detection.py

clean:
	rm -rf $(VENV) .pytest_cache
