// A relying party that checks revocation for every certificate of the chain by OCSP only
// (issue 13 item 3): Java's PKIX (SUN) and BouncyCastle's PKIX, each with a
// PKIXRevocationChecker set to NO_FALLBACK (no CRL), fetching from each certificate's AIA.
// Arguments: root.pem issuing.pem leaf.pem; prints one line per provider, "SUN ok" / "BC fail …".
import java.io.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

public class ChainRevocation {
  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    // BouncyCastle's checker asks for OCSP only when the JDK-wide switch is on; the SUN checker uses AIA either way.
    Security.setProperty("ocsp.enable", "true");
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    X509Certificate root = load(factory, args[0]);
    X509Certificate issuing = load(factory, args[1]);
    X509Certificate leaf = load(factory, args[2]);
    for (String provider : List.of("SUN", "BC")) {
      System.out.println(provider + " " + validate(factory, provider, root, issuing, leaf));
    }
  }

  static String validate(CertificateFactory factory, String provider, X509Certificate root, X509Certificate issuing, X509Certificate leaf) throws Exception {
    CertPathValidator validator = provider.equals("BC") ? CertPathValidator.getInstance("PKIX", "BC") : CertPathValidator.getInstance("PKIX");
    PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
    // Every certificate of the chain (not ONLY_END_ENTITY), OCSP (not PREFER_CRLS), and no CRL when OCSP fails.
    checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.NO_FALLBACK));
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(true);
    params.addCertPathChecker(checker);
    try {
      validator.validate(factory.generateCertPath(List.of(leaf, issuing)), params);
      StringBuilder soft = new StringBuilder();
      List<CertPathValidatorException> failures = checker.getSoftFailExceptions();
      if (failures != null) for (CertPathValidatorException e : failures) soft.append(' ').append(e);
      return soft.length() == 0 ? "ok" : "soft-fail" + soft;
    } catch (CertPathValidatorException e) {
      return "fail index=" + e.getIndex() + " reason=" + e.getReason() + " " + String.valueOf(e.getMessage()).replace('\n', ' ');
    }
  }

  static X509Certificate load(CertificateFactory factory, String path) throws Exception {
    try (InputStream in = Files.newInputStream(Paths.get(path))) {
      return (X509Certificate) factory.generateCertificate(in);
    }
  }
}
