'use strict';
// The baseline: a bare node:http(s) keep-alive client doing the same wire work as the nodes
// (one login by a bare POST, then GETs with _sid and X-SYNO-TOKEN, JSON parsed) and nothing
// else: no queue, no discovery, no decoding.
const http = require('node:http');
const https = require('node:https');

const ABM = 'SYNO.ActiveBackupOffice365';

class BareClient {
  /** maxSockets: the config node's maxConcurrent, so both sides open the same connections. */
  constructor(baseUrl, { maxSockets = 4 } = {}) {
    const u = new URL(baseUrl);
    this.lib = u.protocol === 'https:' ? https : http;
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new this.lib.Agent({ keepAlive: true, maxSockets, rejectUnauthorized: false });
    this.sid = '';
    this.token = '';
  }

  request(method, path, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      if (body !== undefined) {
        h['Content-Type'] = 'application/x-www-form-urlencoded';
        h['Content-Length'] = Buffer.byteLength(body);
      }
      const req = this.lib.request({ host: this.host, port: this.port, method, path, agent: this.agent, headers: h }, (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async call(method, path, body, headers) {
    const res = await this.request(method, path, body, headers);
    const env = JSON.parse(res.text);
    if (res.status !== 200 || !env.success) throw new Error(`bare ${path}: HTTP ${res.status} ${res.text.slice(0, 120)}`);
    return env.data;
  }

  async login(user = 'admin', password = 'synology') {
    const body = new URLSearchParams({
      api: 'SYNO.API.Auth',
      version: '7',
      method: 'login',
      account: user,
      passwd: password,
      session: 'ActiveBackupOffice365',
      format: 'sid',
      enable_syno_token: 'yes',
    }).toString();
    const data = await this.call('POST', '/webapi/entry.cgi', body);
    this.sid = data.sid;
    this.token = data.synotoken || '';
  }

  abm(method, params = '') {
    const path = `/webapi/entry.cgi?api=${ABM}&version=1&method=${method}${params}&_sid=${encodeURIComponent(this.sid)}`;
    return this.call('GET', path, undefined, this.token ? { 'X-SYNO-TOKEN': this.token } : {});
  }

  listTasks() {
    return this.abm('list_tasks');
  }

  /** Every line of a task log, page by page, until a short page. */
  async allTaskLog(taskId, limit = 200) {
    const all = [];
    for (let offset = 0; ; ) {
      const data = await this.abm('get_all_log', `&task_id=${taskId}&limit=${limit}&offset=${offset}&key_word=`);
      for (const line of data.logs) all.push(line);
      if (data.logs.length < limit) return all;
      offset += data.logs.length;
    }
  }

  close() {
    this.agent.destroy();
  }
}

module.exports = { BareClient };
