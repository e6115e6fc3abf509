// Waiting for the cluster metadata to reach a state: resolves true as soon as `ready(image)` holds (checked
// now and after every change the watch applies), false after `timeoutMs`.
import type { ClusterImage } from './cluster-image.js';

export function waitForImage(image: ClusterImage, ready: (image: ClusterImage) => boolean, timeoutMs: number): Promise<boolean> {
  if (ready(image)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), Math.max(0, timeoutMs));
    const unsubscribe = image.onChange(() => {
      if (ready(image)) done(true);
    });
  });
}
