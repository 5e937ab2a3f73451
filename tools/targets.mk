# Included at the end of the Makefile: cross builds, static analysis, docs, the CMake check,
# and the examples that make test builds and runs.
#
#   make cross        slab.h freestanding for Cortex-M4 and RV32 (-Os), sizes of the release
#                     and debug builds, examples/embedded.c linked bare-metal (tools/cross/)
#   make analyze      cppcheck, clang-tidy (.clang-tidy) and scan-build on slab.h and the
#                     examples (tools/analyze.sh)
#   make docs         Doxygen HTML of slab.h, README.md and docs/*.md into build/docs/html,
#                     warnings are errors (docs/Doxyfile)
#   make cmake-check  a consumer project links slab::slab from CMakeLists.txt (tools/cmake/)
#
# Each installs its Debian packages when missing (tools/need.sh, as root).
#
# The examples join the compile matrix (COMPILE_64), so tests/run_all.sh builds, runs and
# counts each one like the other entries.

.PHONY: cross analyze docs cmake-check

EXAMPLE_TESTS := example-embedded example-cpp_allocator-cpp11-g++ \
                 example-cpp_allocator-cpp17-g++ example-cpp_allocator-cpp11-clang++ \
                 example-cpp_allocator-cpp17-clang++ example-lua_alloc example-sqlite_alloc \
                 example-jobs
COMPILE_64 += $(EXAMPLE_TESTS)
test-compile: $(addprefix $(B)/compile/,$(EXAMPLE_TESTS))

LUA_INC     ?= /usr/include/lua5.4
LUA_LIBS    ?= -llua5.4
SQLITE_LIBS ?= -lsqlite3
# Says which Debian package a missing header comes from, instead of a compiler error.
need_header = @test -e $(1) || { echo "missing $(1): install $(2) (make deps)"; exit 1; }

$(B)/compile/example-embedded: examples/embedded.c slab.h | $(B)/compile
	$(GCC) -std=c99 -O2 $(WARN) -I. $< -o $@

$(B)/compile/example-cpp_allocator-cpp11-g++: examples/cpp_allocator.cpp slab.h | $(B)/compile
	$(GXX) -std=c++11 -O2 $(CXXWARN) -I. $< -o $@
$(B)/compile/example-cpp_allocator-cpp17-g++: examples/cpp_allocator.cpp slab.h | $(B)/compile
	$(GXX) -std=c++17 -O2 $(CXXWARN) -I. $< -o $@
$(B)/compile/example-cpp_allocator-cpp11-clang++: examples/cpp_allocator.cpp slab.h | $(B)/compile
	$(CLANGXX) -std=c++11 -O2 $(CXXWARN) -I. $< -o $@
$(B)/compile/example-cpp_allocator-cpp17-clang++: examples/cpp_allocator.cpp slab.h | $(B)/compile
	$(CLANGXX) -std=c++17 -O2 $(CXXWARN) -I. $< -o $@

# Lua's and SQLite's headers are system headers (-isystem): their macros are not ours to fix.
$(B)/compile/example-lua_alloc $(B)/examples/lua_alloc: examples/lua_alloc.c slab.h | $(B)/compile $(B)/examples
	$(call need_header,$(LUA_INC)/lua.h,liblua5.4-dev)
	$(GCC) -std=c99 -O2 $(WARN) -I. -isystem $(LUA_INC) $< $(LUA_LIBS) -o $@
$(B)/compile/example-sqlite_alloc $(B)/examples/sqlite_alloc: examples/sqlite_alloc.c slab.h | $(B)/compile $(B)/examples
	$(call need_header,/usr/include/sqlite3.h,libsqlite3-dev)
	$(GCC) -std=c99 -O2 $(WARN) -I. $< $(SQLITE_LIBS) -o $@

# The job system runs threads: SLAB_THREADS needs -pthread (docs/threads.md).
$(B)/compile/example-jobs $(B)/examples/jobs: examples/jobs.c slab.h | $(B)/compile $(B)/examples
	$(GCC) -std=c99 -O2 $(WARN) -pthread -I. $< -o $@

cross:
	@bash tools/cross/run.sh

analyze:
	@bash tools/analyze.sh

# The version for the docs' title comes from the header's SLAB_VERSION_* macros.
SLAB_VERSION = $(shell awk '/^\#define SLAB_VERSION_(MAJOR|MINOR|PATCH) / { v = v (v == "" ? "" : ".") $$3 } END { print v }' slab.h)

docs:
	@bash tools/need.sh doxygen:doxygen dot:graphviz
	@mkdir -p $(B)/docs
	@echo "doxygen docs/Doxyfile -> $(B)/docs/html/index.html"
	@cd docs && SLAB_VERSION=$(SLAB_VERSION) doxygen Doxyfile

cmake-check:
	@bash tools/cmake/check.sh
