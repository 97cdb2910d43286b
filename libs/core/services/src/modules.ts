/**
 * The module graph: named modules with dependencies, from which a set of targets expands to the
 * modules to run, in dependency order. A module's init function builds its service (or nothing,
 * for modules that only provide a value to others).
 */
export interface ModuleDefinition<T = unknown> {
  /** Builds the module's value. Called once, after all its dependencies were initialised. */
  init: () => Promise<T> | T;
  deps?: string[];
  /** Listed in -target help and accepted as a target. */
  userVisible?: boolean;
}

export class ModuleGraph {
  private readonly modules = new Map<string, ModuleDefinition>();

  register<T>(name: string, def: ModuleDefinition<T>): void {
    if (this.modules.has(name)) throw new Error(`module ${name} registered twice`);
    this.modules.set(name, def as ModuleDefinition);
  }

  has(name: string): boolean {
    return this.modules.has(name);
  }

  userVisibleModules(): string[] {
    return [...this.modules].filter(([, d]) => d.userVisible).map(([n]) => n).sort();
  }

  /** Modules needed for the targets, each after all its dependencies (stable, deterministic order). */
  order(targets: string[]): string[] {
    const result: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]) => {
      const def = this.modules.get(name);
      if (!def) throw new Error(`unknown module "${name}"${path.length ? ` (needed by ${path.at(-1)})` : ''}`);
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'visiting') throw new Error(`module dependency cycle: ${[...path, name].join(' → ')}`);
      state.set(name, 'visiting');
      for (const dep of def.deps ?? []) visit(dep, [...path, name]);
      state.set(name, 'done');
      result.push(name);
    };
    for (const t of targets) visit(t, []);
    return result;
  }

  /** Initialises the modules for the targets in order; returns each module's value by name. */
  async init(targets: string[]): Promise<Map<string, unknown>> {
    const values = new Map<string, unknown>();
    for (const name of this.order(targets)) {
      values.set(name, await this.modules.get(name)!.init());
    }
    return values;
  }
}
