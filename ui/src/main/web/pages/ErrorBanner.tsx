export function ErrorBanner({ message }: { message?: string }) {
  if (!message) {
    return null;
  }
  return (
    <div className="banner error" role="alert">
      {message}
    </div>
  );
}

export function messageOf(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}
