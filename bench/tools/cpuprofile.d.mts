// Types for cpuprofile.mjs (a plain .mjs so `node bench/tools/…` runs it without a build).
export interface CallFrame {
  functionName: string;
  scriptId?: string | number;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime?: number;
  endTime?: number;
  samples: number[];
  timeDeltas: number[];
}
export type FrameKind = 'ours' | 'dep' | 'node' | 'wasm' | 'native' | 'vm';
export type LabelOf = (node: ProfileNode) => { label: string; kind: FrameKind };
export interface Summary {
  totalUs: number;
  idleUs: number;
  busyUs: number;
  self: Map<string, number>;
  incl: Map<string, number>;
}
export function readProfile(file: string): CpuProfile;
export function selfTimes(profile: CpuProfile): Map<number, number>;
export function trimProfile(profile: CpuProfile, fromUs: number, toUs: number): CpuProfile | null;
export function watFunctionNames(watFile: string): string[];
export function labeller(profile: CpuProfile, opts?: { base?: string; wat?: string }): LabelOf;
export function summarize(profile: CpuProfile, labelOf?: LabelOf): Summary;
export function formatTop(summary: Summary, n?: number, name?: string): string[];
