package dev.attnir.training.rerank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** The trainer zeroes a parameter's gradient through the handle {@code getGradient()} returns; prove that works. */
class GradientResetTest {

  @Test
  void subtractingTheGradientHandleZeroesTheAccumulatedGradient() {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray x = manager.create(new float[] {1, 2, 3});
      x.setRequiresGradient(true);
      for (int round = 0; round < 3; round++) {
        try (NDManager scope = manager.newSubManager()) {
          try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
            c.backward(x.mul(2).sum());
          }
          NDArray grad = x.getGradient();
          grad.attach(scope);
          assertArrayEquals(new float[] {2, 2, 2}, grad.toFloatArray(), 0f, "round " + round);
          grad.subi(grad);
        }
      }
    }
  }
}
