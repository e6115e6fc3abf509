// Every API this broker serves. ApiVersions advertises exactly this list (from the registry).
// To add an API: write handlers/<api>.ts exporting an ApiHandler, and add it here.
import { HandlerRegistry } from '../registry.js';
import { apiVersionsHandler } from './api-versions.js';
import { metadataHandler } from './metadata.js';
import { describeClusterHandler } from './describe-cluster.js';

export function registerDefaultHandlers(registry: HandlerRegistry): HandlerRegistry {
  return registry.register(apiVersionsHandler).register(metadataHandler).register(describeClusterHandler);
}
