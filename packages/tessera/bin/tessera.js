#!/usr/bin/env node
// Entry point kept outside dist/ so that npm can link the binary before the first build.
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv);
