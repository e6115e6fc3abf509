// Types for flamegraph.mjs (a plain .mjs so `node bench/tools/flamegraph.mjs` runs it without a build).
import type { CpuProfile, FrameKind, LabelOf } from './cpuprofile.mjs';
export interface FlameNode {
  label: string;
  kind: FrameKind;
  selfUs: number;
  totalUs: number;
  children: Map<string, FlameNode>;
}
export function flameTree(profile: CpuProfile, labelOf?: LabelOf): { root: FlameNode; totalUs: number; idleUs: number; busyUs: number; samples: number };
export const KIND_NAMES: Record<FrameKind, string>;
export function colour(kind: FrameKind, label: string): string;
export function renderFlameGraph(profile: CpuProfile, opts?: { title?: string; subtitle?: string; width?: number; minPercent?: number; labelOf?: LabelOf }): string;
