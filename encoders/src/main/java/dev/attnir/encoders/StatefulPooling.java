package dev.attnir.encoders;

/**
 * A pooling with fitted or trained parameters (a whitening transform, a trained head). An index stores the state as a
 * file named by its SHA-256 and records that digest among the pooling's {@link #parameters()} (key
 * {@link #STATE_SHA256}), so a query embedder with other parameters is refused and a damaged file is detected.
 */
public interface StatefulPooling extends Pooling {

  /** Parameter key of the state's SHA-256. */
  String STATE_SHA256 = "state_sha256";

  /** The serialized state. */
  byte[] state();
}
