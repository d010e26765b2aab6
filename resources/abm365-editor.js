// Editor code shared by the dialogs of @abm365/node-red-synology.
//
// Node-RED serves this file at resources/@abm365/node-red-synology/abm365-editor.js; each
// node's .html loads it with a <script src> tag, and the editor runs a node's own scripts
// only once that file has loaded. Each .html keeps its literal RED.nodes.registerType call
// and calls the helpers of ABM365Editor.forType('<type>'), whose texts come from that
// type's message catalog.
(function () {
    'use strict';

    // Every node set of the package loads this file: define it once.
    if (window.ABM365Editor) { return; }

    var OK_COLOUR = 'var(--red-ui-text-color-success, #3a3)';
    var ERROR_COLOUR = 'var(--red-ui-text-color-error, #AD1625)';
    var TASK_TYPES = ['str', 'num', 'msg', 'flow', 'global', 'env'];

    // "${NAME}": resolved by the runtime from the environment, so not checked here.
    function isEnvRef(v) {
        return /^\$\{[a-zA-Z_][a-zA-Z0-9_]*\}$/.test(String(v).trim());
    }

    // Show a result line: ok true (green), false (red) or null (plain text, no colour).
    function showResult(el, ok, text) {
        el.removeClass('abm365-result-ok abm365-result-error')
            .css('color', ok === null ? '' : (ok ? OK_COLOUR : ERROR_COLOUR))
            .addClass(ok === null ? '' : (ok ? 'abm365-result-ok' : 'abm365-result-error'))
            .text(text);
    }

    // The helpers of one node type. options.prefix: the id prefix of the dialog's fields
    // ('node-input', or 'node-config-input' for a config node).
    function forType(type, options) {
        var prefix = (options && options.prefix) || 'node-input';

        // Translate in this node set's catalog (key without the type), also where `node`
        // is a bare copy of the node.
        function tr(node, key, args) {
            var def = RED.nodes.getType(type);
            var fn = (node && typeof node._ === 'function') ? node._ : (def && def._);
            return fn ? fn(type + '.' + key, args) : key;
        }

        // While this node's dialog is open, read a field from the dialog (it may differ
        // from the saved value); otherwise read the node.
        function current(node, prop) {
            var stack = (RED.editor && typeof RED.editor.getEditStack === 'function') ? RED.editor.getEditStack() : null;
            var el = $('#' + prefix + '-' + prop);
            if (el.length && (!stack || stack.indexOf(node) !== -1)) {
                return el.attr('type') === 'checkbox' ? el.prop('checked') : el.val();
            }
            return node[prop];
        }

        // Hand-written flows may leave settings out; the runtime then uses the defaults,
        // so the dialog shows them too instead of empty fields.
        function fillMissingSettings(node) {
            var defaults = node._def.defaults;
            Object.keys(defaults).forEach(function (prop) {
                if (defaults[prop].type || (node[prop] !== undefined && node[prop] !== null)) { return; }
                var el = $('#' + prefix + '-' + prop);
                if (!el.length) { return; }
                if (el.attr('type') === 'checkbox') {
                    el.prop('checked', !!defaults[prop].value);
                } else {
                    el.val(defaults[prop].value);
                }
            });
        }

        // A whole number in [min, max] (max may be Infinity), or the text of error.<errorKey>.
        function wholeNumber(node, v, min, max, errorKey) {
            var s = String(v === undefined || v === null ? '' : v).trim();
            if (isEnvRef(s)) { return true; }
            if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) {
                return tr(node, 'error.' + errorKey);
            }
            return true;
        }

        // What a failed admin request says: the runtime's message, else the HTTP status
        // and the start of the body (keys.http), or keys.unreachable when there was no answer.
        function ajaxErrorText(node, xhr, keys) {
            if (xhr && xhr.responseJSON && xhr.responseJSON.message) { return xhr.responseJSON.message; }
            if (keys.unreachable && xhr && xhr.status === 0) { return tr(node, keys.unreachable); }
            var body = (xhr && typeof xhr.responseText === 'string') ? xhr.responseText.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : '';
            if (body.length > 200) { body = body.slice(0, 200) + '…'; }
            return tr(node, keys.http, { status: xhr ? xhr.status : '?', text: body || (xhr && xhr.statusText) || '' });
        }

        // What a node without taskType means: this type's default, as the runtime reads it.
        function defaultTaskType() {
            var def = RED.nodes.getType(type);
            var d = def && def.defaults && def.defaults.taskType;
            return (d && d.value) || 'str';
        }

        // Short text for labels: "all tasks", "task 3", "Mailboxes", "msg.task".
        function taskSummary(node) {
            var t = node.taskType || defaultTaskType();
            var v = (node.task === undefined || node.task === null) ? '' : String(node.task);
            if (t === 'all') { return tr(node, 'task.all'); }
            if (t === 'num') { return tr(node, 'task.id', { id: v }); }
            if (t === 'str') { return v; }
            if (t === 'env') { return '${' + v + '}'; }
            return t + '.' + v;
        }

        // withMsg false: the node has no input message (monitor, ha), so msg cannot hold the task.
        function validateTask(node, v, allowAll, withMsg) {
            var t = current(node, 'taskType') || defaultTaskType();
            var s = (v === undefined || v === null) ? '' : String(v).trim();
            if (t === 'all') { return allowAll ? true : tr(node, 'error.taskAll'); }
            if (t === 'msg' && withMsg === false) { return tr(node, 'error.taskNoMsg'); }
            if (isEnvRef(s)) { return true; }
            if (t === 'num') { return /^\d+$/.test(s) ? true : tr(node, 'error.taskId'); }
            if (t === 'msg') {
                return (s && RED.utils.validatePropertyExpression(s)) ? true : tr(node, 'error.taskProperty');
            }
            return s ? true : tr(node, (t === 'str') ? 'error.taskName' : 'error.taskProperty');
        }

        // The task TypedInput (with the type "all tasks" where allowAll, without msg where
        // withMsg is false) and the picker button that lists the NAS's tasks by name.
        function setupTaskInput(node, allowAll, defaultType, withMsg) {
            var types = [];
            if (allowAll) {
                types.push({ value: 'all', label: tr(node, 'task.all'), hasValue: false });
            }
            types = types.concat(TASK_TYPES.filter(function (t) { return withMsg !== false || t !== 'msg'; }));
            var input = $('#node-input-task');
            input.typedInput({ default: defaultType, typeField: $('#node-input-taskType'), types: types });
            var lastType = input.typedInput('type');
            input.on('change', function () {
                var t = input.typedInput('type');
                if (t !== lastType) {
                    lastType = t;
                    // The documented default property: msg.task holds an id or a name.
                    if (t === 'msg' && !input.typedInput('value')) { input.typedInput('value', 'task'); }
                }
            });

            var button = $('#abm365-task-pick');
            var list = $('#abm365-task-list');
            var listRow = $('#abm365-task-list-row');
            var statusEl = $('#abm365-task-pick-status');
            var statusRow = $('#abm365-task-pick-status-row');
            var tasks = [];

            function status(ok, text) {
                showResult(statusEl, ok, text);
                statusRow.toggle(!!text);
                RED.tray.resize();
            }

            // A config node not yet deployed (or changed since) is unknown to the runtime:
            // send its values. A stored password stays on the server ("__PWRD__").
            function postValues(nas) {
                var c = nas.credentials || {};
                var body = {
                    id: nas.id,
                    host: nas.host,
                    port: nas.port,
                    protocol: nas.protocol,
                    tlsMode: nas.tlsMode,
                    fingerprint: nas.fingerprint,
                    timeout: nas.timeout,
                    username: c.username,
                    password: (typeof c.password === 'string' && c.password !== '') ? c.password : (c.has_password === false ? '' : '__PWRD__')
                };
                if (typeof c.deviceToken === 'string' && c.deviceToken !== '' && c.deviceToken !== '__PWRD__') {
                    body.deviceToken = c.deviceToken;
                }
                return $.ajax({ url: 'abm365-nas/tasks', type: 'POST', contentType: 'application/json', dataType: 'json', data: JSON.stringify(body), timeout: 120000 });
            }

            function load(nas) {
                if (nas.changed) { return postValues(nas); }
                var d = $.Deferred();
                $.ajax({ url: 'abm365-nas/' + encodeURIComponent(nas.id) + '/tasks', type: 'GET', dataType: 'json', timeout: 120000 })
                    .done(function (answer) { d.resolve(answer); })
                    .fail(function (xhr) {
                        if (xhr && xhr.status === 404) {
                            postValues(nas).done(function (a) { d.resolve(a); }).fail(function (x) { d.reject(x); });
                        } else {
                            d.reject(xhr);
                        }
                    });
                return d.promise();
            }

            function show(answer) {
                if (!Array.isArray(answer)) {
                    status(false, (answer && answer.message) || tr(node, 'picker.badAnswer'));
                    return;
                }
                tasks = answer;
                list.empty();
                if (!tasks.length) {
                    listRow.hide();
                    status(false, tr(node, 'picker.empty'));
                    return;
                }
                $('<option>').val('').text(tr(node, 'picker.choose', { n: tasks.length })).appendTo(list);
                tasks.forEach(function (t, i) {
                    $('<option>').val(String(i)).text(t.task_name + '  (id ' + t.task_id + ')').appendTo(list);
                });
                list.val('');
                listRow.show();
                status(null, '');
            }

            button.on('click', function () {
                var nasId = $('#node-input-nas').val();
                var nas = (nasId && nasId !== '_ADD_') ? RED.nodes.node(nasId) : null;
                listRow.hide();
                if (!nas) {
                    status(false, tr(node, 'picker.noNas'));
                    return;
                }
                button.prop('disabled', true);
                status(null, tr(node, 'picker.loading'));
                load(nas).done(show).fail(function (xhr) {
                    listRow.hide();
                    status(false, ajaxErrorText(node, xhr, { http: 'picker.failed' }));
                }).always(function () {
                    button.prop('disabled', false);
                });
            });

            list.on('change', function () {
                var i = $(this).val();
                if (i === '' || i === null || !tasks[Number(i)]) { return; }
                var picked = tasks[Number(i)];
                var sameName = tasks.filter(function (t) { return t.task_name === picked.task_name; }).length;
                if (sameName > 1) {
                    // A name shared by several tasks would be ambiguous at run time: use the id.
                    input.typedInput('type', 'num');
                    input.typedInput('value', String(picked.task_id));
                } else {
                    input.typedInput('type', 'str');
                    input.typedInput('value', picked.task_name);
                }
                listRow.hide();
                status(true, tr(node, 'picker.picked', { name: picked.task_name, id: picked.task_id }));
            });
        }

        return {
            tr: tr,
            current: current,
            isEnvRef: isEnvRef,
            showResult: showResult,
            fillMissingSettings: fillMissingSettings,
            wholeNumber: wholeNumber,
            ajaxErrorText: ajaxErrorText,
            taskSummary: taskSummary,
            validateTask: validateTask,
            setupTaskInput: setupTaskInput
        };
    }

    window.ABM365Editor = { forType: forType, isEnvRef: isEnvRef, showResult: showResult };
})();
