#!/usr/bin/env node
// The bin as npm links it: a file that exists before the build, so installing never warns.
import '../dist/cli.js';
