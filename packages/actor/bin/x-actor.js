#!/usr/bin/env node
// The bin stays in the package (not in dist/) so installing a fresh workspace can link it before a build.
import '../dist/cli.js';
