'use strict';
// Mocha reporter: the usual spec output, plus the run's counts written as JSON to the file
// named by ABM365_COUNT_FILE, so scripts/test.js can sum every test layer into one line.
const fs = require('node:fs');
const Mocha = require('mocha');

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const file = process.env.ABM365_COUNT_FILE;
      if (!file) return;
      const s = runner.stats || {};
      fs.writeFileSync(file, JSON.stringify({ passed: s.passes || 0, failed: s.failures || 0, skipped: s.pending || 0 }));
    });
  }
}
module.exports = CountReporter;
