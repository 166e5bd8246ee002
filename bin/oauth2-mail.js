#!/usr/bin/env node
'use strict';
// The console of the oauth2-mail reference helpdesk (built by `npm run build`).
require('../dist/host/cli/main.js')
  .runCli(process.argv)
  .then((code) => {
    if (code !== 0) process.exitCode = code;
  });
