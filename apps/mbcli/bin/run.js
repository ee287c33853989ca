#!/usr/bin/env node
// The `mbcli` executable: oclif finds the built commands through package.json's `oclif` section.
void import('@oclif/core').then(({ execute }) => execute({ dir: __dirname }));
