/**
 * Defines a flow node so its file holds only what differs from the others:
 *
 *     const init = function (RED: NodeAPI): void {
 *       defineFlowNode<WorkersSettings>(RED, 'abm365-workers', (flow, config) => (msg) => step({...}));
 *     };
 *     export = init;
 *
 * createNode, then startFlowNode (status, NAS lookup and registration, close), then the input
 * pipeline with the prepare function setup returns. A node that handles input itself (the
 * monitor has no input) returns nothing.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { handleInput, startFlowNode } from './pipeline';
import type { FlowNode, FlowNodeSettings, Prepare } from './pipeline';
import type { TaskSettings } from './task';

/** The settings of a flow node that acts on a task (nas, name, version, task, taskType). */
export interface TaskNodeSettings extends FlowNodeSettings, TaskSettings {}

/** Flow nodes keep no credentials: the NAS's are on the config node. */
export type NoCredentials = Record<string, never>;

export type FlowNodeSetup<S extends FlowNodeSettings> = (flow: FlowNode, config: NodeDef & S) => Prepare | void;

export function defineFlowNode<S extends FlowNodeSettings>(RED: NodeAPI, type: string, setup: FlowNodeSetup<S>): void {
  function FlowNodeConstructor(this: Node, config: NodeDef & S): void {
    RED.nodes.createNode(this, config);
    const flow = startFlowNode(RED, this, config);
    const prepare = setup(flow, config);
    if (prepare) handleInput(flow, prepare);
  }
  RED.nodes.registerType<Node, NodeDef & S, S, NoCredentials>(type, FlowNodeConstructor);
}
