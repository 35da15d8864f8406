# Thin wrappers. Each target creates or updates the virtual environment when pyproject.toml changed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Colab's ipywidgets, installed beside the venv and put first on the path for a second widget run.
IW7    := .venv-ipywidgets7
# Colab's published versions (.ci/colab-constraints.txt) with the CPU torch: a venv of their own.
COLAB  := .venv-colab
# Jupyter Book and the widget renderer its pages load from disk, for make site.
SITE   := .venv-site
HTML_MANAGER := 1.0.15
MATHJAX := 3.2.2
PORT   ?= 8888
# make lab HEADLESS=1: no browser is opened; JupyterLab prints the URL to open.
HEADLESS ?=
# The tiny model's operations are too small to share between threads, and OpenMP's default
# busy-waiting makes a loaded 2-core machine 10x slower (one UNet call: 304 ms against 29 ms).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: lab test test-python test-widgets7 test-colab site data bench train readme screenshots clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU wheel of torch first: an unpinned torch would pull a CUDA build of several GB.
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (deeper)" > /dev/null
	# Offline machines: JupyterLab must not ask the network for news or updates.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp tools/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

$(IW7)/.installed: $(VENV)/.installed
	rm -rf $(IW7)
	$(PY) -m pip install --quiet --no-deps --target $(IW7) ipywidgets==7.7.1 widgetsnbextension==3.6.10 \
		jupyterlab_widgets==1.1.11 ipython_genutils==0.2.0
	touch $@

$(COLAB)/.installed: pyproject.toml .ci/colab-constraints.txt
	rm -rf $(COLAB)
	$(PYTHON) -m venv $(COLAB)
	$(COLAB)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB)/bin/python -m pip install --quiet "torch==2.13.0"
	$(COLAB)/bin/python -m pip install --quiet -c .ci/colab-constraints.txt -e . papermill pytest
	$(COLAB)/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (Colab pins)" > /dev/null
	touch $@

$(SITE)/.installed:
	rm -rf $(SITE)
	$(PYTHON) -m venv $(SITE)
	$(SITE)/bin/python -m pip install --quiet "jupyter-book==1.0.4.post1"
	# The pages draw widgets from their saved state with @jupyter-widgets/html-manager: its dist/ from npm.
	mkdir -p $(SITE)/share/html-manager
	npm pack --silent --pack-destination $(SITE) @jupyter-widgets/html-manager@$(HTML_MANAGER) > /dev/null
	tar xzf $(SITE)/jupyter-widgets-html-manager-$(HTML_MANAGER).tgz -C $(SITE)/share/html-manager \
		--strip-components=2 package/dist
	rm $(SITE)/jupyter-widgets-html-manager-$(HTML_MANAGER).tgz
	# And MathJax for the formulas, from npm too (its es5/ build), so no page asks a CDN.
	mkdir -p $(SITE)/share/mathjax
	npm pack --silent --pack-destination $(SITE) mathjax@$(MATHJAX) > /dev/null
	tar xzf $(SITE)/mathjax-$(MATHJAX).tgz -C $(SITE)/share/mathjax --strip-components=2 package/es5
	rm $(SITE)/mathjax-$(MATHJAX).tgz
	touch $@

data: $(VENV)/.installed
	$(PY) -m deeper.data

lab: data
	$(VENV)/bin/jupyter lab --notebook-dir=course --ip=127.0.0.1 --port=$(PORT) \
		$(if $(HEADLESS),--no-browser,) $(if $(filter 0,$(shell id -u)),--allow-root,)

# Both halves side by side: the widget tests under ipywidgets 7.7.1 niced, on the CPU time pytest's
# run leaves idle (it keeps about 1.5 of 2 cores busy); each line of output whole.
test: data $(IW7)/.installed
	$(MAKE) --no-print-directory -j2 --output-sync=line test-python test-widgets7

# Everything pytest collects (tests/site apart: make site checks the site built from what this ran).
test-python: data
	$(PY) -m pytest

# The widget tests again under Colab's ipywidgets 7.7.1.
test-widgets7: data $(IW7)/.installed
	PYTHONPATH=$(IW7) EXPECT_IPYWIDGETS=7 nice -n 10 $(PY) -m pytest tests/widgets -p no:cacheprovider

# Every notebook again, and the tests on what it computed, under Colab's versions (tools/colab_pins.py
# checks the venv and its kernel first). Outputs go beside make test's, which the site is built from.
test-colab: data $(COLAB)/.installed
	PYDEVD_DISABLE_FILE_VALIDATION=1 $(COLAB)/bin/python -m tools.colab_pins
	NOTEBOOK_OUTPUT=tests/output/notebooks-colab PYDEVD_DISABLE_FILE_VALIDATION=1 $(COLAB)/bin/python -m pytest -p no:cacheprovider \
		tests/test_notebooks.py $(sort $(wildcard tests/test_nb_*.py))

# The course as a static site in build/site/_build/html, from the notebooks as make test executed them
# (with their widget state), no network; then a browser opens it from disk and checks every page.
site: $(VENV)/.installed $(SITE)/.installed
	$(PY) -m tools.site
	$(PY) -m pytest -p no:cacheprovider tests/site

# Every benchmark prints a table of ratios measured side by side in one run (GPU ones run on a GPU machine).
bench: data
	@for script in $(filter-out %_gpu.py,$(wildcard bench/bench_*.py)); do \
		echo "== $$script"; $(PY) $$script || exit 1; done

# The README's pictures of the widgets come from the browser tests' screenshots, never drawn by hand
# (SCREENSHOTS=1: the Imagic explorer's fit with notebook 22's own settings, not CI's short ones).
screenshots: data
	SCREENSHOTS=1 $(PY) -m pytest -m browser
	mkdir -p docs/screenshots
	cp tests/output/screenshots/*.png docs/screenshots/

# Retrain the tiny Stable Diffusion shipped in data/ (data/tiny-sd/README.md): every stage, then
# export over data/. Resumable: checkpoints/tinysd keeps each stage. Meant for a GPU; TRAIN_ARGS adds
# options (python -m deeper.tinysd.train --help), e.g. TRAIN_ARGS="--subset 256 --steps unet=50".
train: $(VENV)/.installed
	$(PY) -m deeper.tinysd.train $(TRAIN_ARGS)

readme: $(VENV)/.installed
	$(PY) -m tools.readme_table

clean:
	rm -rf $(VENV) $(IW7) $(COLAB) $(SITE) tests/output build/site
