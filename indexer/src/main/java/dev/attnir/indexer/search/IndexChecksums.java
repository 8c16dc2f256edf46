package dev.attnir.indexer.search;

import java.io.IOException;
import java.util.Collection;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;

/**
 * Verifies the checksum in the footer of every file of a Lucene commit, reading each file once, end to end.
 *
 * <p>Lucene checks a file's footer only when a codec reads the whole file (segments_N, .si, field infos); postings,
 * stored fields, doc values and vectors are read in slices and their checksums are never looked at during search, so
 * a flipped byte there gives wrong scores, missing hits or a decoder crash instead of an error. A compound file's
 * footer covers all of its slices, so checksumming each file of the commit covers the whole index, the compound
 * file's own header, table and padding included. It costs the same CPU as {@code LeafReader.checkIntegrity()} on
 * every segment (which checksums the slices one by one) and needs no open reader; see
 * benchmarks/results/index-verify.md.
 */
public final class IndexChecksums {

  private IndexChecksums() {}

  /**
   * Checksums every file of {@code commit}.
   *
   * @return the bytes read
   * @throws org.apache.lucene.index.CorruptIndexException naming the file whose checksum or footer does not match
   * @throws java.io.EOFException when a file is too short to hold a footer
   */
  public static long verify(Directory dir, IndexCommit commit) throws IOException {
    return verify(dir, commit.getFileNames());
  }

  /**
   * Checksums every one of {@code files} (each a Lucene file with a codec footer).
   *
   * @return the bytes read
   * @throws org.apache.lucene.index.CorruptIndexException naming the file whose checksum or footer does not match
   * @throws java.io.EOFException when a file is too short to hold a footer
   */
  public static long verify(Directory dir, Collection<String> files) throws IOException {
    long bytes = 0;
    for (String file : files) {
      try (IndexInput in = dir.openInput(file, IOContext.READONCE)) {
        CodecUtil.checksumEntireFile(in);
        bytes += in.length();
      }
    }
    return bytes;
  }
}
