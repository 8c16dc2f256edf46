# Sourced by bin/attnir, bin/test and .ci/run: selects a JDK >= 21 (Temurin 25 preferred) and Maven flags.
if [ -z "${ATTNIR_JAVA_HOME:-}" ]; then
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/temurin-2[1-9]* \
      "${JAVA_HOME:-}" /usr/lib/jvm/java-2[1-9]-openjdk*; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ]; then
      version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')
      if [ -n "$version" ] && [ "${version%%.*}" -ge 21 ] 2>/dev/null; then
        ATTNIR_JAVA_HOME=$candidate
        break
      fi
    fi
  done
fi
if [ -z "${ATTNIR_JAVA_HOME:-}" ]; then
  echo "error: no JDK 21+ found (install Temurin 25 under /usr/lib/jvm or set JAVA_HOME)" >&2
  exit 1
fi
export JAVA_HOME=$ATTNIR_JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
ATTNIR_JAVA_VERSION=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 \
  | sed -n 's/.*java.specification.version = //p')
ATTNIR_JVM_FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true"
if [ "${ATTNIR_JAVA_VERSION%%.*}" -ge 23 ]; then
  # Maven's Guice/Guava, Lucene and protobuf use sun.misc.Unsafe; JDK 24+ warns about it. The flag is JDK 23+ only.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  ATTNIR_JVM_FLAGS="$ATTNIR_JVM_FLAGS --sun-misc-unsafe-memory-access=allow"
fi
