# Sourced by the other scripts: where builds go and where the tools are.
# A build cache outside the clone keeps fresh clones (and CI) from compiling everything again.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/strata/target}
# Tools the scripts install outside the clone (schemathesis in its own Python environment).
export STRATA_TOOLS=${STRATA_TOOLS:-$HOME/.cache/strata/tools}
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
