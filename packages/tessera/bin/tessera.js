#!/usr/bin/env node
// Entry point kept outside dist/ so that npm can link the binary before the first build.
import { runCli } from '../dist/cli/main.js';

// A reader that stops early (`| head`) closes the pipe; that ends the output, not in an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv);
