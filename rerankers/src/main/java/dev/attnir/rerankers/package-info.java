/**
 * Rerankers that reorder the candidates a {@code dev.attnir.core.Retriever} returns: the cross-encoder
 * ({@link dev.attnir.rerankers.CrossEncoderReranker}, selected as {@code cross-encoder:model=DIR}), and the
 * attention-based rerankers (in-context attention, attention sorting, AttnRank, a multi-view reranker), which read
 * attention probabilities through the encoders' exposed-tensor sessions ({@code dev.attnir.encoders.TensorRequest}).
 */
package dev.attnir.rerankers;
