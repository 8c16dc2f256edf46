package dev.attnir.training;

/**
 * Sizes of a multi-layer trainable pooling head.
 *
 * @param layers layer vectors read (hidden states first..last)
 * @param hidden width of the encoder's hidden states (also the latents' width)
 * @param latents trainable latent queries
 * @param heads cross-attention heads
 * @param headDim width per head
 * @param ffMult GEGLU expansion
 */
public record HeadShape(int layers, int hidden, int latents, int heads, int headDim, int ffMult) {
  public HeadShape {
    if (layers < 1 || hidden < 1 || latents < 1 || heads < 1 || headDim < 1 || ffMult < 1) {
      throw new IllegalArgumentException("head sizes must be >= 1: " + this);
    }
  }

  /** Width of the attention projections. */
  public int inner() {
    return heads * headDim;
  }
}
