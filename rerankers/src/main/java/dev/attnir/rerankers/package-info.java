/**
 * Rerankers that reorder the candidates a {@code dev.attnir.core.Retriever} returns: the cross-encoder
 * ({@link dev.attnir.rerankers.CrossEncoderReranker}, selected as {@code cross-encoder:model=DIR}), the trained
 * rerankers ({@code dev.attnir.rerankers.trained}: a fine-tuned cross-encoder and the multi-view reranker MVP), and the
 * attention-based rerankers (in-context attention, attention sorting, AttnRank), which read
 * attention probabilities through the encoders' exposed-tensor sessions ({@code dev.attnir.encoders.TensorRequest}).
 */
package dev.attnir.rerankers;
