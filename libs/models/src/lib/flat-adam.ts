import * as tf from '@tensorflow/tfjs';

/** tfjs-core's NamedTensor, which the tfjs bundle does not re-export. */
type NamedTensor = Parameters<tf.Optimizer['setWeights']>[0][number];

/**
 * beta, multiplied by itself once per step in float32 (`tf.mul` of two float32 scalars is the correctly rounded
 * product, which `Math.fround` of the double product is too): the accumulator after `steps` steps.
 */
export function accumulatedPower(beta: number, steps: number): number {
  const b = Math.fround(beta);
  let acc = b;
  for (let i = 0; i < steps; i++) acc = Math.fround(acc * b);
  return acc;
}

/**
 * Adam with all of a model's moments in one flat buffer: the gradients are concatenated once, the update is
 * a dozen elementwise ops over the whole buffer, and the steps are split back to the variables. tf.train.adam
 * runs those ops per variable (some 13 x 40 small kernels per step for a U-Net decoder), and on wasm each small
 * kernel costs a dispatch that the arithmetic does not pay for. The arithmetic is tf.train.adam's, op for op,
 * so the weights are the same bytes; `getWeights`/`setWeights` use tf.train.adam's names and layout (per
 * variable `NAME/m`, then `NAME/v`), so checkpoints of either load into the other.
 */
export class FlatAdamOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'FlatAdam';
  }

  private readonly accBeta1: tf.Variable;
  private readonly accBeta2: tf.Variable;
  private readonly epsilon: number;
  /** The variables the moments belong to, in buffer order (names as first seen), fixed by the first step or setWeights. */
  private layout: { name: string; shape: number[]; size: number }[] | null = null;
  private firstMoment: tf.Variable | null = null;
  private secondMoment: tf.Variable | null = null;

  constructor(
    /** Read at every step, so a schedule may change it between steps. */
    public learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    epsilon?: number,
  ) {
    super();
    this.accBeta1 = tf.tidy(() => tf.scalar(beta1).variable(false));
    this.accBeta2 = tf.tidy(() => tf.scalar(beta2).variable(false));
    this.epsilon = epsilon ?? tf.backend().epsilon();
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const grads: [string, tf.Tensor][] = Array.isArray(variableGradients) ? variableGradients.map((g) => [g.name, g.tensor]) : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    const variables = grads.map(([name]) => {
      const variable = registered[name];
      if (variable === undefined) throw new RangeError(`FlatAdamOptimizer: no variable named ${name}`);
      return variable;
    });
    if (this.layout === null) this.layout = variables.map((v) => ({ name: v.name, shape: [...v.shape], size: v.size }));
    else if (this.layout.length !== variables.length || this.layout.some((entry, i) => entry.size !== variables[i]!.size)) {
      // By position, as tf.train.adam matches moments to variables: a model rebuilt to resume has new names.
      throw new RangeError(`FlatAdamOptimizer: ${variables.length} variables do not match the ${this.layout.length} the moments were made for`);
    }
    const total = this.layout.reduce((n, entry) => n + entry.size, 0);
    this.firstMoment ??= tf.tidy(() => tf.zeros([total]).variable(false));
    this.secondMoment ??= tf.tidy(() => tf.zeros([total]).variable(false));
    const m = this.firstMoment;
    const v = this.secondMoment;
    tf.tidy(() => {
      const gradient = tf.concat(grads.map(([, g]) => g.reshape([-1])));
      const oneMinusAccBeta1 = tf.sub(1, this.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, this.accBeta2);
      const newFirstMoment = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
      const newSecondMoment = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
      const biasCorrectedFirstMoment = tf.div(newFirstMoment, oneMinusAccBeta1);
      const biasCorrectedSecondMoment = tf.div(newSecondMoment, oneMinusAccBeta2);
      m.assign(newFirstMoment);
      v.assign(newSecondMoment);
      const step = tf.mul(tf.div(biasCorrectedFirstMoment, tf.add(tf.sqrt(biasCorrectedSecondMoment), this.epsilon)), -this.learningRate);
      const parts = tf.split(step, this.layout!.map((entry) => entry.size));
      variables.forEach((variable, i) => variable.assign(tf.add(parts[i]!.reshape(variable.shape), variable)));
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const moments: NamedTensor[] = [];
    if (this.layout !== null && this.firstMoment !== null && this.secondMoment !== null) {
      for (const [suffix, buffer] of [['m', this.firstMoment], ['v', this.secondMoment]] as const) {
        const parts = tf.split(buffer, this.layout.map((entry) => entry.size));
        this.layout.forEach((entry, i) => {
          moments.push({ name: `${entry.name}/${suffix}`, tensor: parts[i]!.reshape(entry.shape) });
          parts[i]!.dispose();
        });
      }
    }
    return [await this.saveIterations(), ...moments];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const moments = await this.extractIterations(weightValues);
    // The running products beta^(t+1) as the steps made them: one float32 multiplication per step. tf.pow gives
    // the same number in exact arithmetic but not always in float32, and a resumed run then drifts from the
    // uninterrupted one in the last bits of every later update.
    this.accBeta1.assign(tf.scalar(accumulatedPower(this.beta1, this.iterations_)));
    this.accBeta2.assign(tf.scalar(accumulatedPower(this.beta2, this.iterations_)));
    const count = moments.length / 2;
    const first = moments.slice(0, count);
    const second = moments.slice(count);
    this.layout = first.map((w) => ({ name: w.name.replace(/\/m$/, ''), shape: [...w.tensor.shape], size: w.tensor.size }));
    this.firstMoment?.dispose();
    this.secondMoment?.dispose();
    const flat = (list: NamedTensor[]) => tf.tidy(() => (list.length === 0 ? tf.zeros([0]) : tf.concat(list.map((w) => w.tensor.reshape([-1])))).variable(false));
    this.firstMoment = flat(first);
    this.secondMoment = flat(second);
  }

  override dispose(): void {
    this.accBeta1.dispose();
    this.accBeta2.dispose();
    this.firstMoment?.dispose();
    this.secondMoment?.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
