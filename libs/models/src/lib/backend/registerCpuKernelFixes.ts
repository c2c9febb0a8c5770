import * as tf from '@tensorflow/tfjs';

let registered = false;

/**
 * Corrects tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad, which offsets its reads of dy by the *input's*
 * batch stride, so every image after the first gets a wrong gradient: training the U-Net decoder (UpSampling2D)
 * on the cpu backend with batch > 1 would follow wrong gradients. The fix runs the stock kernel one image at a
 * time, where it is right, and stacks the results. Idempotent.
 */
export function registerCpuKernelFixes(): void {
  if (registered) return;
  const stock = tf.getKernel('ResizeNearestNeighborGrad', 'cpu');
  if (stock === undefined) return;
  tf.unregisterKernel('ResizeNearestNeighborGrad', 'cpu');
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const images = args.inputs['images'] as tf.Tensor4D;
      const dy = args.inputs['dy'] as tf.Tensor4D;
      if (images.shape[0] === 1) return stock.kernelFunc(args);
      return tf.tidy(() => {
        const perImage = tf.unstack(images).map((image, b) => {
          const grad = stock.kernelFunc({ ...args, inputs: { images: image.expandDims(0), dy: dy.slice(b, 1) } }) as tf.TensorInfo;
          return tf.engine().makeTensorFromTensorInfo(grad);
        });
        return tf.concat(perImage, 0);
      });
    },
  });
  registered = true;
}
