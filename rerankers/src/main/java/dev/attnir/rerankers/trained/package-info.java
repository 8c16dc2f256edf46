/**
 * Trained rerankers shipped as small artifacts and reassembled with their base model at load.
 *
 * <ul>
 *   <li>{@link dev.attnir.rerankers.trained.RerankerArtifact}: the file format (only the tensors training changed,
 *       a head or an anchor, and what is needed to find and check the base model);
 *   <li>{@link dev.attnir.rerankers.trained.TrainedGraph}: the base graph with the trained tensors written into their
 *       initializers, and a cross-encoder's head appended;
 *   <li>{@link dev.attnir.rerankers.trained.TrainedRerankers}: artifact + base model to a working reranker (a
 *       {@code CrossEncoderReranker} or an {@link dev.attnir.rerankers.trained.MvpReranker});
 *   <li>{@link dev.attnir.rerankers.trained.MvpReranker}, {@link dev.attnir.rerankers.trained.MvpAnchor},
 *       {@link dev.attnir.rerankers.trained.MvpSettings}, {@link dev.attnir.rerankers.trained.ViewTokens}: the
 *       multi-view reranker;
 *   <li>{@link dev.attnir.rerankers.trained.TrainedRegistry}, {@link dev.attnir.rerankers.trained.TrainedRerankerFactory}:
 *       the shipped artifacts by name ({@code trained:name=NAME}, or {@code NAME} alone) and user files
 *       ({@code trained:file=PATH}).
 * </ul>
 */
package dev.attnir.rerankers.trained;
