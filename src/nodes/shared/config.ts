/**
 * The config node's (`abm365-nas`) public interface, so flow nodes type it without importing
 * the config node's file (node files export only `= init`).
 *
 *     const nas = getNas(RED, config.nas);           // NasConfigNode | null
 *     nas?.register(node.id, status);               // status follows the connection
 *     const tasks = await listTasks(nas.client());   // one DsmClient per config node, shared
 *     const unsubscribe = nas.poller().subscribe({...});
 *     nas.deregister(node.id);                      // in close
 *
 * startFlowNode() in pipeline.ts does the lookup, register and deregister for flow nodes.
 */
import type { Node, NodeAPI } from 'node-red';
import type { ConnectionState, DsmCaller } from '../../dsm/types';
import type { Poller } from '../../monitor';
import type { ConnectionDetail, ConnectionListener } from './status';

export const NAS_TYPE = 'abm365-nas';

export interface NasCredentials {
  username?: string;
  password?: string;
  deviceToken?: string;
}

export interface NasConfigNode extends Node<NasCredentials> {
  /** The shared DSM client of this NAS (created on first use). */
  client(): DsmCaller;
  /** The shared poller of this NAS (created on first use), for monitors and waiting backups. */
  poller(): Poller;
  /** Follow connection states: the listener gets the current state now and every change later. */
  register(id: string, listener: ConnectionListener): void;
  deregister(id: string): void;
  readonly connectionState: ConnectionState;
  readonly connectionDetail: ConnectionDetail | undefined;
}

function isNasNode(node: unknown): node is NasConfigNode {
  if (!node || typeof node !== 'object') return false;
  const n = node as Partial<NasConfigNode>;
  return n.type === NAS_TYPE && typeof n.client === 'function' && typeof n.register === 'function';
}

/** The deployed config node with this id, or null. */
export function getNas(RED: NodeAPI, id: unknown): NasConfigNode | null {
  if (typeof id !== 'string' || !id) return null;
  const node: unknown = RED.nodes.getNode(id);
  return isNasNode(node) ? node : null;
}
