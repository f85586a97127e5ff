#!/bin/sh
# The metastore-jars job: the jars that the apache/hive image lacks for this stack, from Maven Central into
# a volume that the metastore puts on its class path: Postgres' JDBC driver and Hadoop's S3A file system
# (hadoop-aws of the image's Hadoop 3.3.6, with the AWS SDK bundle it was built with). Checked by SHA-1.
set -eu
cd /jars
fetch() {
  path=$1 file=${1##*/}
  if [ ! -s "$file" ]; then
    curl -fsSL --retry 5 -o "$file.part" "https://repo1.maven.org/maven2/$path"
    expected=$(curl -fsSL --retry 5 "https://repo1.maven.org/maven2/$path.sha1" | cut -c1-40)
    echo "$expected  $file.part" | sha1sum -c -
    mv "$file.part" "$file"
  fi
}
fetch org/postgresql/postgresql/42.7.10/postgresql-42.7.10.jar
fetch org/apache/hadoop/hadoop-aws/3.3.6/hadoop-aws-3.3.6.jar
fetch com/amazonaws/aws-java-sdk-bundle/1.12.367/aws-java-sdk-bundle-1.12.367.jar
ls -l /jars
