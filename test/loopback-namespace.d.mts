export function inLoopbackNamespace(): boolean;
export function reexecInLoopbackNamespace(script: string, args: readonly string[]): never;
