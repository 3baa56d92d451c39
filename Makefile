# Build and install mcpkeeper with its shell completions (bash, zsh, fish) and man page.
#   make install PREFIX=~/.local        # or: sudo make install (PREFIX=/usr/local)
#   make uninstall PREFIX=~/.local
# DESTDIR stages the install for packaging; CONFIG=debug installs the debug build (what CI checks).
PREFIX ?= /usr/local
DESTDIR ?=
CONFIG ?= release
SWIFT ?= swift
# A release build links statically, with lld, exporting nothing (scripts/release-flags.sh says why).
BUILD_FLAGS := $(if $(filter release,$(CONFIG)),$(shell bash scripts/release-flags.sh))

root := $(DESTDIR)$(PREFIX)
dist := .build/dist
files := bin/mcpkeeper share/man/man1/mcpkeeper.1 share/bash-completion/completions/mcpkeeper \
         share/zsh/site-functions/_mcpkeeper share/fish/vendor_completions.d/mcpkeeper.fish

.PHONY: all build dist install uninstall

all: build

build:
	$(SWIFT) build -c $(CONFIG) --product mcpkeeper $(BUILD_FLAGS)

# Completions and the man page come from the built binary itself (swift-argument-parser).
dist: build
	rm -rf $(dist) && mkdir -p $(dist)
	bin="$$($(SWIFT) build -c $(CONFIG) $(BUILD_FLAGS) --show-bin-path)/mcpkeeper" && \
	cp "$$bin" $(dist)/mcpkeeper && \
	"$$bin" --generate-completion-script bash > $(dist)/mcpkeeper.bash && \
	"$$bin" --generate-completion-script zsh > $(dist)/_mcpkeeper && \
	"$$bin" --generate-completion-script fish > $(dist)/mcpkeeper.fish && \
	sh scripts/manpage.sh "$$bin" > $(dist)/mcpkeeper.1

install: dist
	install -d $(root)/bin $(root)/share/man/man1 $(root)/share/bash-completion/completions \
	           $(root)/share/zsh/site-functions $(root)/share/fish/vendor_completions.d
	install -m 0755 $(dist)/mcpkeeper $(root)/bin/mcpkeeper
	install -m 0644 $(dist)/mcpkeeper.1 $(root)/share/man/man1/mcpkeeper.1
	install -m 0644 $(dist)/mcpkeeper.bash $(root)/share/bash-completion/completions/mcpkeeper
	install -m 0644 $(dist)/_mcpkeeper $(root)/share/zsh/site-functions/_mcpkeeper
	install -m 0644 $(dist)/mcpkeeper.fish $(root)/share/fish/vendor_completions.d/mcpkeeper.fish
	@echo "installed $(root)/bin/mcpkeeper: $$($(root)/bin/mcpkeeper --version)"

uninstall:
	cd $(root) && rm -f $(files)
