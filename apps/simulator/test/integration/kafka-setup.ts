// Starts (or reuses) the local broker and puts its address in $UNIQSTREAM_KAFKA_BOOTSTRAP.
export { setupForTests as default } from '@uniqstream/kafka-local';
