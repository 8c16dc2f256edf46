package dev.attnir.indexer.search;

import java.io.IOException;
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
 * a flipped byte there gives wrong scores, missing hits or a decompression crash instead of an error. A compound
 * file's footer covers all of its slices, so checksumming each file of the commit covers the whole index; it is
 * cheaper than {@code LeafReader.checkIntegrity()}, which for a compound segment checksums the .cfs and then each
 * slice again (see benchmarks/results/index-verify.md).
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
    long bytes = 0;
    for (String file : commit.getFileNames()) {
      try (IndexInput in = dir.openInput(file, IOContext.READONCE)) {
        CodecUtil.checksumEntireFile(in);
        bytes += in.length();
      }
    }
    return bytes;
  }
}
